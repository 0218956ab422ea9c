//go:build race

package servicetest

// raceEnabled builds the service with the race detector too, so the build
// reuses the packages a -race test run already compiled.
const raceEnabled = true
