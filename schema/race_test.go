//go:build race

package schema

// raceEnabled: the race detector adds to what each allocation takes.
const raceEnabled = true
