// Package browse is what the console's JSON API (internal/console) and
// `hirebridge events` and `hirebridge deadletters` answer, in one place:
// the answers' JSON shapes, and the searches (sinks.Browser) and resolved
// marks (sinks.Resolutions) that fill them. The CLI's -json prints what the
// API answers because both are made here.
package browse
