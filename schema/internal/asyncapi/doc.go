// Package asyncapi generates schema/asyncapi.yaml, the AsyncAPI 3.0
// description of what hirebridge publishes, from the schema catalog and the
// consumer package's names, so the document cannot drift from the code:
// a test fails when the committed file differs from what Generate returns.
//
// Regenerate with
//
//	go generate ./schema/internal/asyncapi
//
// (which runs this package's test with -update).
package asyncapi

//go:generate go test -run ^TestDocumentIsCurrent$ -update .
