package bridge

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestDuplicate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := payload(t, "applicant_applied")
	subject := testPrefix + ".applicant_applied"
	id := wantOutcome(t, h.post(t, body), "published")

	// The same event as another sender's JSON library would write it:
	// indented, keys sorted, timestamp in another zone.
	doc := decodeObject(t, body)
	doc["timestamp"] = "2026-01-30T01:14:56.395+01:00"
	reserialized, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(reserialized, body) {
		t.Fatal("the re-serialized body is the same bytes; the test would prove nothing")
	}
	for name, b := range map[string][]byte{"same bytes": body, "re-serialized": reserialized} {
		t.Run(name, func(t *testing.T) {
			if got := wantOutcome(t, h.post(t, b), "duplicate"); got != id {
				t.Errorf("duplicate answered id %s, want the first id %s", got, id)
			}
			if n := len(h.messages(t, subject)); n != 1 {
				t.Errorf("%d messages on %s, want 1", n, subject)
			}
		})
	}

	t.Run("changed content", func(t *testing.T) {
		doc := decodeObject(t, body)
		doc["applicant"].(map[string]any)["years_of_experience"] = json.Number("7")
		other := wantOutcome(t, h.post(t, encode(t, doc)), "published")
		if other == id {
			t.Errorf("a changed event got the id of the first one")
		}
		if n := len(h.messages(t, subject)); n != 2 {
			t.Errorf("%d messages on %s, want 2", n, subject)
		}
	})
}
