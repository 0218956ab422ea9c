// Package bundle generates schema/schemas/bundled/<event>.json: each
// documented type's JSON Schema as one self-contained file, the
// definitions it uses from defs.json copied into its own $defs and its
// $refs rewritten to them (#/$defs/...), so any JSON Schema 2020-12
// validator, in any language, reads it without a store of other schemas
// or a network. The sources stay the truth: schema/schemas/<event>.json
// and defs.json, with the $ids the messages' dataschema names; a bundle's
// $id is its own place, https://hirebridge.dev/schemas/bundled/<event>.json.
//
// Regenerate after changing a schema with
//
//	go generate ./schema/internal/bundle
//
// (which runs this package's test with -update); the test fails while a
// committed bundle differs from what Generate returns. The tests also hold
// each bundle to its source's verdicts, and the other published file,
// schema/schemas/undocumented/event.json (the body of an undocumented
// type), to what the bridge publishes.
package bundle

//go:generate go test -run ^TestBundlesAreCurrent$ -update .
