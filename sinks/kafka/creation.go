package kafka

import (
	"fmt"
	"strconv"

	"github.com/hirebridge/hirebridge/sinks"
)

// createsTopics is CreateTopics read: true when empty.
func (c Config) createsTopics() (bool, error) {
	if c.CreateTopics == "" {
		return true, nil
	}
	on, err := strconv.ParseBool(c.CreateTopics)
	if err != nil {
		return false, fieldErr("CreateTopics", "%q is not true or false", c.CreateTopics)
	}
	return on, nil
}

// notCreated is the refusal of a topic the broker lacks while creation is
// off. It is for good (sinks.ErrRefused): the bridge keeps the event on the
// dead letters, and `hirebridge replay -reason undeliverable` publishes it
// once an operator created the topic.
func notCreated(name string) error {
	return fmt.Errorf("topic %s does not exist, and HIREBRIDGE_KAFKA_CREATE_TOPICS is false: an operator must create it: %w",
		name, sinks.ErrRefused)
}
