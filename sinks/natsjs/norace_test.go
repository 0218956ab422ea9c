//go:build !race

package natsjs

const raceEnabled = false
