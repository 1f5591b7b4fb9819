import { execFileSync } from 'node:child_process';

/** Child-process tests run the built CLI (`dist/cli/main.js`), as users do: build it once. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
