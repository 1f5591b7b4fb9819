export { compare, type Evaluation } from './compare.js';
export { contextKey, evaluate, valueAt, type ConditionFacts, type ContextValue, type FactEvent } from './evaluate.js';
export { checkPattern, matchesPattern } from './pattern.js';
export { Condition, CONDITION_VERSION, Duration, VersionedCondition, type Operator } from './schema.js';
export { parseCondition } from './validate.js';
