package schema

import (
	"strings"
	"testing"
)

func TestNormalizeNameValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, want string
	}{
		{"job_added", "job_added"},
		{"applicant_applied", "applicant_applied"},
		{"Job_Added", "job_added"},
		{"JOB_ADDED", "job_added"},
		{"  job_added  ", "job_added"},
		{"\tjob_added\r\n", "job_added"},
		{"candidate.stage_changed", "candidate.stage_changed"},
		{"Candidate.Hired", "candidate.hired"},
		{"ai_prescreen.completed", "ai_prescreen.completed"},
		{"a", "a"},
		{"7", "7"},
		{"0day", "0day"},
		{"a-b", "a-b"},
		{"a_", "a_"},
		{"a-", "a-"},
		{"a.b.c", "a.b.c"},
		{"a._b", "a._b"},
		{"a.-b", "a.-b"},
		{"v1.2-beta_3", "v1.2-beta_3"},
		{strings.Repeat("a", MaxNameLength), strings.Repeat("a", MaxNameLength)},
		{" " + strings.Repeat("A", MaxNameLength) + " ", strings.Repeat("a", MaxNameLength)},
	}
	for _, tt := range tests {
		got, ok := NormalizeName(tt.raw)
		if !ok || got != tt.want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q, true", tt.raw, got, ok, tt.want)
		}
	}
}

func TestNormalizeNameInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, why string
	}{
		{"", "empty"},
		{"   ", "whitespace only"},
		{"\t\n", "whitespace only"},
		{"*", "NATS wildcard"},
		{">", "NATS wildcard"},
		{"job.*", "NATS wildcard"},
		{"job.>", "NATS wildcard"},
		{"job*", "NATS wildcard"},
		{"job_added>", "NATS wildcard"},
		{"job added", "space inside"},
		{"job\tadded", "tab inside"},
		{"job\nadded", "newline inside"},
		{"job/added", "slash"},
		{"../job", "path"},
		{"job\\added", "backslash"},
		{".job", "leading dot"},
		{"_job", "leading underscore"},
		{"-job", "leading hyphen"},
		{"job.", "trailing dot"},
		{"job..added", "empty dot-separated part"},
		{"..", "dots only"},
		{".", "dot only"},
		{strings.Repeat("a", MaxNameLength+1), "129 characters"},
		{"job_addé", "non-ASCII letter"},
		{"ジョブ", "non-ASCII"},
		{"job_added\u00a0x", "non-ASCII space inside"},
		// U+212A KELVIN SIGN lowercases to an ASCII 'k' under Unicode
		// rules: a non-ASCII name must not turn into an ASCII subject.
		{"\u212Aey", "Kelvin sign"},
		{"job\x00added", "NUL"},
		{"job:added", "colon"},
		{"job,added", "comma"},
		{"job+added", "plus"},
		{"job$added", "dollar"},
		{"$SYS", "NATS system prefix"},
	}
	for _, tt := range tests {
		if got, ok := NormalizeName(tt.raw); ok {
			t.Errorf("NormalizeName(%q) accepted as %q; want rejected (%s)", tt.raw, got, tt.why)
		}
	}
}

// TestNormalizeNameNeverUnsafe checks the promise behind the rules over
// every byte and every rune of the basic multilingual plane, alone and
// around a letter: nothing accepted can be a wildcard, a space, a path, an
// empty subject token, or anything but lowercase ASCII.
func TestNormalizeNameNeverUnsafe(t *testing.T) {
	t.Parallel()
	for c := 0; c < 0x10000; c++ {
		r := string(rune(c))
		raws := []string{r, "a" + r, "a" + r + "b", r + "a"}
		if c < 256 {
			raws = append(raws, string([]byte{'a', byte(c)}), string([]byte{byte(c), 'a'}))
		}
		for _, raw := range raws {
			name, ok := NormalizeName(raw)
			if !ok {
				continue
			}
			if strings.ContainsAny(name, "*> \t\r\n/\\") || strings.Contains(name, "..") ||
				strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") {
				t.Errorf("NormalizeName(%q) = %q: unsafe as a subject token", raw, name)
			}
			for _, r := range strings.TrimSpace(raw) {
				if r >= 0x80 {
					t.Errorf("NormalizeName(%q) = %q: accepted a non-ASCII name", raw, name)
					break
				}
			}
			if name != strings.ToLower(strings.TrimSpace(raw)) {
				t.Errorf("NormalizeName(%q) = %q: not the sender's name trimmed and lowercased", raw, name)
			}
			for i := 0; i < len(name); i++ {
				if name[i] >= 0x80 || (name[i] >= 'A' && name[i] <= 'Z') {
					t.Errorf("NormalizeName(%q) = %q: not lowercase ASCII", raw, name)
					break
				}
			}
		}
	}
}
