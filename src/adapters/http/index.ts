// HTTP delivery adapters (webhook, SMS) and what they share: the SSRF guard, the transport, the failure classification.
export { AddressClass, classifyAddress, embeddedV4, inCidr, parseCidr, parseIp } from './addresses.js';
export type { Cidr, Ip } from './addresses.js';
export { AllowList, cachingResolver, checkDestination, checkWithoutDns, pinnedLookup, systemResolver } from './ssrf.js';
export type { CheckOptions, Destination, Resolver } from './ssrf.js';
export { HttpTransport } from './transport.js';
export type { HttpAnswer, HttpOutcome, HttpPost, HttpTransportOptions } from './transport.js';
export { deliveryResult, describeAnswer, isRetryableStatus, jsonField, permanent, retryAfterMs } from './classify.js';
export { DEFAULT_TIMEOUT_MS, HeaderName, HttpUrl, SettingsParser, TimeoutMs, describeSettingsError } from './settings.js';
export { HttpAdapter, USER_AGENT } from './base.js';
export type { HttpAdapterOptions } from './base.js';
export { WebhookDelivery, WebhookSecret, WebhookSettings } from './webhook.js';
export { JsonSms, JsonSmsSettings, TWILIO_BASE_URL, TwilioSettings, TwilioSms } from './sms.js';
