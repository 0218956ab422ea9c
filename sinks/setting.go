package sinks

import "fmt"

// FieldError names the configuration field that is wrong, by its Go path
// (such as "Brokers" or "SASL.Mechanism"), so that the binary, which knows
// where each field came from, can name the environment variable.
type FieldError struct {
	// Section is the sink's name, such as "kafka" or "nats".
	Section string
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Section + " " + e.Field + ": " + e.Problem }

// FieldErrorf returns a *FieldError for field of section.
func FieldErrorf(section, field, format string, args ...any) error {
	return &FieldError{Section: section, Field: field, Problem: fmt.Sprintf(format, args...)}
}
