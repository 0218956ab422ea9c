//go:build race

package natsjs

// raceEnabled: the race detector adds to what each allocation takes.
const raceEnabled = true
