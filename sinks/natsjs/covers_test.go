package natsjs

import (
	"strings"
	"testing"
)

// covers decides whether an existing stream may be used; a wrong yes sends
// events nowhere, a wrong no refuses a good stream.
func TestCovers(t *testing.T) {
	tests := []struct {
		filter, prefix string
		want           bool
	}{
		{"hirempire.>", "hirempire", true},
		{">", "hirempire", true},
		{"*.>", "hirempire", true},
		{"hirempire.*", "hirempire", false},
		{"hirempire", "hirempire", false},
		{"hirempire.*.>", "hirempire", false},
		{"hirempire.applicant_applied", "hirempire", false},
		{"other.>", "hirempire", false},
		{"hirempirex.>", "hirempire", false},
		{"hire.>", "hirempire", false},
		// Multi-token prefixes.
		{"acme.hirempire.>", "acme.hirempire", true},
		{"acme.>", "acme.hirempire", true},
		{"*.hirempire.>", "acme.hirempire", true},
		{"acme.*.>", "acme.hirempire", true},
		{"*.*.>", "acme.hirempire", true},
		{"acme.hirempire.*", "acme.hirempire", false},
		{"acme.hirempire", "acme.hirempire", false},
		{"acme.hirempire.x.>", "acme.hirempire", false},
		{"acme.*", "acme.hirempire", false},
		{"other.hirempire.>", "acme.hirempire", false},
		{"hirempire.>", "acme.hirempire", false},
		{"acme.hirempire.>", "hirempire", false},
	}
	for _, tt := range tests {
		if got := covers(tt.filter, tt.prefix+".>"); got != tt.want {
			t.Errorf("covers(%q, %q) = %v, want %v", tt.filter, tt.prefix+".>", got, tt.want)
		}
	}
}

func TestCheckFilter(t *testing.T) {
	stream := []string{"hirempire.>"}
	for _, ok := range []string{"hirempire.>", "hirempire.*", "hirempire.job_added", "*.job_added", ">", "hirempire.dlq"} {
		if err := CheckFilter(ok, stream); err != nil {
			t.Errorf("CheckFilter(%q) = %v, want nil", ok, err)
		}
	}
	for bad, says := range map[string]string{
		"hirempire.job_*": "whole tokens",
		"hirempire.>.x":   "last token",
		"hirempire..x":    "empty token",
		"other.>":         "matches nothing",
		"hirempire":       "matches nothing",
	} {
		err := CheckFilter(bad, stream)
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("CheckFilter(%q) = %v, want an error saying %q", bad, err, says)
		}
	}
}
