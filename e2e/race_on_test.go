//go:build race

package e2e_test

// raceEnabled says the test process runs with the race detector.
const raceEnabled = true
