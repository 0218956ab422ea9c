package schema_test

import (
	"fmt"

	"github.com/hirebridge/hirebridge/schema"
)

// A body as the sender may write it: the name in another case, the time in
// another zone, the company name under its applicant-event spelling.
func ExampleIngest() {
	body := []byte(`{
		"event": " Applicant_Applied ",
		"timestamp": "2026-01-30T01:14:56.395+01:00",
		"company": {"id": "comp_1", "company": "Acme Corp"},
		"job": {"id": "job_1", "title": "Backend Engineer"},
		"applicant": {"id": "app_1", "years_of_experience": 6.50}
	}`)
	o := schema.Ingest(body, schema.Options{})
	if o.Rejection != nil {
		fmt.Println("rejected:", o.Rejection)
		return
	}
	ev := o.Event
	fmt.Println("name:", ev.Name)
	fmt.Println("id:", ev.ID)
	fmt.Println("key:", ev.Key)
	fmt.Println("time:", ev.Time)
	fmt.Println("validated:", ev.Validated)
	fmt.Println(string(ev.Body))
	// Output:
	// name: applicant_applied
	// id: 22399de5d0922a7e0f94c347740b0bc3
	// key: app_1
	// time: 2026-01-30T00:14:56.395Z
	// validated: true
	// {"applicant":{"id":"app_1","years_of_experience":6.50},"company":{"company":"Acme Corp","id":"comp_1","name":"Acme Corp"},"event":"applicant_applied","job":{"id":"job_1","title":"Backend Engineer"},"timestamp":"2026-01-30T00:14:56.395Z"}
}

// Rejections say what is wrong and where: Reason is the error code, Field a
// JSON pointer, and Malformed tells a 400 (not an object) from a 422.
func ExampleIngest_rejection() {
	for _, body := range []string{
		`[1, 2]`,
		`{"event": "job added", "timestamp": "2026-01-30T02:05:17.892Z"}`,
		`{"event": "job_added", "timestamp": "yesterday"}`,
		`{"event": "job_added", "timestamp": "2026-01-30T02:05:17.892Z", "company": {"id": "c"}, "job": {"id": 42}}`,
	} {
		rej := schema.Ingest([]byte(body), schema.Options{}).Rejection
		fmt.Printf("%s %q malformed=%v\n", rej.Reason, rej.Field, rej.Malformed())
	}
	// Output:
	// not_an_object "" malformed=true
	// invalid_event "/event" malformed=false
	// invalid_timestamp "/timestamp" malformed=false
	// schema_violation "/job/id" malformed=false
}
