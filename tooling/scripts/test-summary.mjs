// Prints the suite's closing line from vitest's JSON report: "tests: N passed, N failed, N skipped",
// with the name of every skipped test (a skipped test says why in its name).
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`test-summary: cannot read ${file}: ${err.message}`);
  process.exit(1);
}
const skipped = [];
for (const suite of report.testResults ?? []) {
  for (const t of suite.assertionResults ?? []) {
    if (t.status === 'skipped' || t.status === 'pending' || t.status === 'todo') skipped.push(t.fullName);
  }
}
for (const name of skipped) console.log(`skipped: ${name}`);
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped.length} skipped`);
if (passed === 0) {
  console.error('test-summary: no test ran');
  process.exit(1);
}
process.exit(failed > 0 || report.success === false ? 1 : 0);
