package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeRejectsWhatIsNotOneObject(t *testing.T) {
	tests := []struct {
		body string
		want Reason
	}{
		{"", ReasonNotJSON},
		{"   \n\t", ReasonNotJSON},
		{"not json", ReasonNotJSON},
		{"{", ReasonNotJSON},
		{`{"event":"job_added",}`, ReasonNotJSON},
		{`{'event':'job_added'}`, ReasonNotJSON},
		{`{"event":"job_added"} {"event":"job_added"}`, ReasonNotJSON},
		{`{"event":"job_added"}}`, ReasonNotJSON},
		{`{"event":"job_added"} trailing`, ReasonNotJSON},
		{`{"event":"job_added"}[]`, ReasonNotJSON},
		{"\xef\xbb\xbf{}", ReasonNotJSON},
		{"{\"event\":\"job_\xff\"}", ""}, // invalid UTF-8 inside a string is read as U+FFFD, not refused
		{`[]`, ReasonNotObject},
		{`[{"event":"job_added"}]`, ReasonNotObject},
		{`"job_added"`, ReasonNotObject},
		{`42`, ReasonNotObject},
		{`null`, ReasonNotObject},
		{`true`, ReasonNotObject},
	}
	for _, tt := range tests {
		doc, rej := Decode([]byte(tt.body))
		if tt.want == "" {
			if rej != nil {
				t.Errorf("Decode(%q) rejected: %v", tt.body, rej)
			}
			continue
		}
		if rej == nil {
			t.Errorf("Decode(%q) = %v; want %s", tt.body, doc, tt.want)
			continue
		}
		if rej.Reason != tt.want || !rej.Malformed() || rej.Detail == "" {
			t.Errorf("Decode(%q) = %+v (malformed %v); want reason %s, malformed", tt.body, rej, rej.Malformed(), tt.want)
		}
	}
}

func TestDecodeEmptyBodySaysSo(t *testing.T) {
	_, rej := Decode(nil)
	if rej == nil || !strings.Contains(rej.Detail, "empty") {
		t.Errorf("Decode(nil) = %v; want a detail saying the body is empty", rej)
	}
}

func TestDecodeKeepsNumberText(t *testing.T) {
	doc, rej := Decode([]byte(" {\"n\": 1.10, \"big\": 9007199254740993, \"e\": 1e400}\n\n"))
	if rej != nil {
		t.Fatal(rej)
	}
	for k, want := range map[string]json.Number{"n": "1.10", "big": "9007199254740993", "e": "1e400"} {
		if got, ok := doc[k].(json.Number); !ok || got != want {
			t.Errorf("doc[%q] = %#v; want json.Number(%q)", k, doc[k], want)
		}
	}
}

func TestChallenge(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("testdata", "challenge.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		body string
		want string
	}{
		{string(example), `"a1b2c3d4e5f6g7h8i9j0"`},
		// Byte for byte: escapes, spacing and non-string values are echoed
		// as received, never re-encoded.
		{`{"challenge":"\u0061b\/c\u00e9"}`, `"\u0061b\/c\u00e9"`},
		{`{"challenge":"<&>"}`, `"<&>"`},
		{`{"type":"url_verification","challenge":  { "x" : [1 , 2.50] }  }`, `{ "x" : [1 , 2.50] }`},
		{`{"challenge":1.10}`, `1.10`},
		{`{"challenge":null}`, `null`},
		{`{"challenge":""}`, `""`},
		// The documentation says presence decides, even beside an event.
		{`{"event":"job_added","challenge":"c"}`, `"c"`},
	}
	for _, tt := range tests {
		doc, rej := Decode([]byte(tt.body))
		if rej != nil {
			t.Fatalf("Decode(%s): %v", tt.body, rej)
		}
		got, ok := Challenge(doc, []byte(tt.body))
		if !ok || string(got) != tt.want {
			t.Errorf("Challenge(%s) = %s, %v; want %s", tt.body, got, ok, tt.want)
		}
	}
	for _, body := range []string{`{}`, `{"event":"job_added"}`, `{"Challenge":"c"}`, `{"data":{"challenge":"c"}}`} {
		doc, _ := Decode([]byte(body))
		if got, ok := Challenge(doc, []byte(body)); ok {
			t.Errorf("Challenge(%s) = %s; want none", body, got)
		}
	}
}
