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

// BenchmarkIngestRejected is a documented payload with a few problems: a
// bad timestamp, a missing id and a value of the wrong type. What a
// rejection costs matters too: anyone may send one.
func BenchmarkIngestRejected(b *testing.B) {
	body := []byte(`{"event":"job_added","timestamp":"yesterday","company":{"name":"Globex"},"job":{"id":42,"title":"Backend Engineer","sources":["LinkedIn",7]}}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if o := Ingest(body, Options{}); o.Rejection == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkIngestRejectedEveryElement fails at each of 100,000 array
// elements: only the bounded list of problems may cost memory, however
// many the body holds.
func BenchmarkIngestRejectedEveryElement(b *testing.B) {
	body := everyElementFails(100_000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if o := Ingest(body, Options{}); o.Rejection == nil {
			b.Fatal("accepted")
		}
	}
}

// everyElementFails is a job_added whose job.sources holds n numbers
// where strings are wanted.
func everyElementFails(n int) []byte {
	body := []byte(`{"event":"job_added","timestamp":"2026-01-30T02:05:17.892Z","company":{"id":"c"},"job":{"id":"j","sources":[`)
	for i := range n {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, '1')
	}
	return append(body, "]}}"...)
}
