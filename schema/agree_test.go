package schema

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// The tests below the bridge's decoder go through these helpers, which run
// both the bridge's one-pass tree and the reference implementation and
// insist that they agree, so each test checks the two at once.

// Decode returns the reference's Document for tests that look inside it,
// once the bridge's decoder gave the same verdict.
func Decode(body []byte) (Document, *Rejection) {
	doc, want := refDecode(body)
	t := getTree()
	defer t.release()
	got, _ := decode(t, body, nil)
	if !reflect.DeepEqual(got, want) {
		panic(fmt.Sprintf("decoders disagree on %q:\n tree      %+v\n reference %+v", truncate(string(body), 200), got, want))
	}
	return doc, got
}

// Challenge is Ingest's challenge for body, checked against the reference.
func Challenge(doc Document, body []byte) ([]byte, bool) {
	want, wantOK := refChallenge(doc, body)
	got := Ingest(body, Options{}).Challenge
	if !bytes.Equal(got, want) || (got != nil) != wantOK {
		panic(fmt.Sprintf("challenge of %q: tree %q, reference %q", body, got, want))
	}
	return got, got != nil
}

// normalize is Ingest, checked against the reference's Decode then
// Normalize.
func normalize(body []byte, opts Options) (*Event, *Rejection) {
	got := Ingest(body, opts)
	want := reference(body, opts)
	if diff := compareOutcomes(got, want); diff != "" {
		panic(fmt.Sprintf("Ingest(%q, %+v) disagrees with the reference: %s", truncate(string(body), 300), opts, diff))
	}
	if got.Challenge != nil {
		panic(fmt.Sprintf("%q is a challenge, not an event", truncate(string(body), 300)))
	}
	return got.Event, got.Rejection
}

// reference is what the first implementation makes of a body.
func reference(body []byte, opts Options) Outcome {
	doc, rej := refDecode(body)
	if rej != nil {
		return Outcome{Rejection: rej}
	}
	if raw, ok := refChallenge(doc, body); ok {
		return Outcome{Challenge: raw}
	}
	ev, rej := refNormalize(doc, opts)
	return Outcome{Event: ev, Rejection: rej}
}

func compareOutcomes(got, want Outcome) string {
	switch {
	case !reflect.DeepEqual(got.Rejection, want.Rejection):
		return fmt.Sprintf("rejection %+v, reference %+v", got.Rejection, want.Rejection)
	case !bytes.Equal(got.Challenge, want.Challenge):
		return fmt.Sprintf("challenge %q, reference %q", got.Challenge, want.Challenge)
	case (got.Event == nil) != (want.Event == nil):
		return fmt.Sprintf("event %v, reference %v", got.Event != nil, want.Event != nil)
	case got.Event != nil && !reflect.DeepEqual(*got.Event, *want.Event):
		return fmt.Sprintf("event\n %+v\nreference\n %+v\nbodies\n %s\n %s", *got.Event, *want.Event, got.Event.Body, want.Event.Body)
	}
	return ""
}

// entityKeyOf decodes doc and keys it as an event of type name, by both
// implementations.
func entityKeyOf(name, doc, eventID string) (string, error) {
	ref, rej := Decode([]byte(doc))
	if rej != nil {
		return "", rej
	}
	t := getTree()
	defer t.release()
	if rej, _ := decode(t, []byte(doc), nil); rej != nil {
		return "", rej
	}
	got, want := t.entityKey(name, eventID), refEntityKey(name, ref, eventID)
	if got != want {
		return "", fmt.Errorf("tree keys %q, reference %q", got, want)
	}
	return got, nil
}

// FuzzIngestAgrees holds the bridge's one-pass Ingest to the reference
// (a map tree, a full JSON Schema 2020-12 validator, encoding/json's
// output): the same rejection, word for word, the same challenge, the
// same event, byte for byte, for any body, strict or not.
func FuzzIngestAgrees(f *testing.F) {
	for _, ex := range examples(f) {
		f.Add(ex.body, false)
		f.Add(bytes.Replace(ex.body, []byte(`"id"`), []byte(`"id":1,"x"`), 1), false)
		f.Add(bytes.Replace(ex.body, []byte(`"`+ex.name+`"`), []byte(`" `+ex.name+`X"`), 1), true)
	}
	for _, s := range []string{
		`{"challenge":"abc"}`, `{"challenge":{"a":[1]},"type":"x"}`, `{"challenge":1,"event":"x","timestamp":0}`,
		`{"event":"job_added","timestamp":"2026-01-30T02:05:17.892Z","company":{"id":""},"job":{"id":42,"sources":[1,null,"a"]}}`,
		`{"event":"Meeting_Booked","timestamp":1769732096.395,"company":{"id":"c","name":null,"company":{"x":1}},"applicant":{"id":"a"},"meeting":{"id":"m","scheduled_at":"20260130T0105+0100"}}`,
		`{"event":"applicant_applied","timestamp":"2026-01-30T02:05:17Z","company":{"id":"c~/é\u2028"},"job":{"id":"j","\u00e9":"\ud83d\ude00"},"applicant":{"id":"a","spoken_languages":[{"language":5}]}}`,
		`{"event":"x.y","timestamp":"2026-01-30","a\"b":"\u0007\t\u2029<>&"}`,
		`{"event":"job_added","timestamp":"never","company":{"id":1,"name":2,"company":[]},"job":{"title":4,"sources":[1,2,3,4,5,6,7,8,9,10,11,"s",null,false]}}`,
		`{"event":"meeting_booked","timestamp":{},"meeting":{"scheduled_at":true,"organizer":1},"applicant":{"id":""},"job":{}}`,
		`{"event":"applicant_applied","applicant":{"spoken_languages":[1,{},[]],"special_questions":"x"}}`,
		`{"event":"x.y","timestamp":"never","meeting":{"scheduled_at":"never"}}`,
		`{"event":"dlq.x","timestamp":0}`, `{"event":7}`, `{}`, `[]`, `{"a":1,"a":2}`, "{\"a\":\"\xff\"}", `{"a":"\ud800"}`, `{"a":1e400}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, strict bool) {
		opts := Options{Strict: strict}
		if diff := compareOutcomes(Ingest(body, opts), reference(body, opts)); diff != "" {
			t.Fatalf("Ingest(%q, %+v): %s", body, opts, diff)
		}
	})
}
