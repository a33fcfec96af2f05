// The whole study from an empty database (study.test.mjs) in the other two
// combinations of size and language: 390x844 in bokmål, 1280x800 in English.
globalThis.FIELDNOTES_STUDY_RUNS = ['nb-390', 'en-1280'];
await import('./study.test.mjs');
