//go:build race

package main

// raceEnabled builds the test binary of hirebridge with the race detector
// too, so it reuses the packages this test run already compiled.
const raceEnabled = true
