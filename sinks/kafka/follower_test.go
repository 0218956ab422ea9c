package kafka

import (
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/sinks"
)

// A filter is checked against the topics that exist, and a miss names
// those under the prefix.
func TestMatchesATopic(t *testing.T) {
	topics := []string{"__consumer_offsets", "hirempire.job_added", "hirempire.dlq"}
	if err := matchesATopic("hirempire.*", "hirempire", topics); err != nil {
		t.Errorf("hirempire.*: %v", err)
	}
	err := matchesATopic("hirempire.meeting_booked", "hirempire", topics)
	if err == nil || !strings.Contains(err.Error(), "hirempire.job_added, hirempire.dlq") {
		t.Errorf("a miss: %v, want the topics under the prefix named", err)
	}
	if err := matchesATopic("hirempire.>", "hirempire", nil); err == nil || !strings.Contains(err.Error(), "start the service first") {
		t.Errorf("no topics: %v", err)
	}
}

// Kafka's binding spells attributes ce_<name>; followers give ce-<name>.
func TestFollowedHeaders(t *testing.T) {
	st := followed(sinks.Stored{Headers: []sinks.Header{{Name: "ce_id", Value: "1"}, {Name: "content-type", Value: "application/json"}, {Name: "hirebridge-reason", Value: "x"}}})
	want := []sinks.Header{{Name: "ce-id", Value: "1"}, {Name: "content-type", Value: "application/json"}, {Name: "hirebridge-reason", Value: "x"}}
	for i, h := range st.Headers {
		if h != want[i] {
			t.Errorf("header %d: %v, want %v", i, h, want[i])
		}
	}
}
