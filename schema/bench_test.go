package schema

import (
	"testing"
)

// BenchmarkNormalize measures the work the bridge does per request on the
// largest documented payload (applicant_applied, about 2 KB): Decode, then
// Normalize with its schema validation, canonical encoding and hash.
func BenchmarkNormalize(b *testing.B) {
	body := mustRead(b, "applicant_applied")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		doc, rej := Decode(body)
		if rej != nil {
			b.Fatal(rej)
		}
		if _, rej := Normalize(doc, Options{}); rej != nil {
			b.Fatal(rej)
		}
	}
}
