// Package typecap bounds how many undocumented event types get a
// destination (a subject or topic) on the broker: outside strict mode every
// new event name would otherwise create one, and anyone holding the token
// could create thousands, which costs a Kafka cluster a topic each and the
// bridge a metadata refresh and a writer each. It is a sinks.Sink in front
// of the broker's: publishes to a destination it knows go straight
// through; a new undocumented one is counted against the cap, and beyond it
// refused for good (sinks.ErrRefused), so the bridge keeps the event on the
// dead letters and `hirebridge replay -reason undeliverable` publishes it
// once the cap is raised.
package typecap
