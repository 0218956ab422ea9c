package schema

import (
	"testing"

	"github.com/hirebridge/hirebridge/internal/benchcpu"
)

// BenchmarkIngest measures the work the bridge does per request on the
// largest documented payload (applicant_applied, about 2 KB): decoded and
// held to I-JSON, normalized, validated against its JSON Schema, encoded
// canonically and hashed. The goal: 8 µs and 40 allocations.
func BenchmarkIngest(b *testing.B) {
	body := mustRead(b, "applicant_applied")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	defer benchcpu.Report(b)()
	for b.Loop() {
		if o := Ingest(body, Options{}); o.Event == nil {
			b.Fatal(o.Rejection)
		}
	}
}

// BenchmarkReference is the same work by the first implementation, over a
// map tree and a generic JSON Schema validator, for comparison.
func BenchmarkReference(b *testing.B) {
	body := mustRead(b, "applicant_applied")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		doc, rej := refDecode(body)
		if rej != nil {
			b.Fatal(rej)
		}
		if _, rej := refNormalize(doc, Options{}); rej != nil {
			b.Fatal(rej)
		}
	}
}
