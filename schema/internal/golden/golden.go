// Package golden compares a committed generated file with what its
// generator makes now, for the tests that keep the two equal.
package golden

import (
	"bytes"
	"fmt"
)

// FirstDifference is the first line where committed and generated differ,
// both shown, or "" when they are equal.
func FirstDifference(committed, generated []byte) string {
	c, g := bytes.Split(committed, []byte("\n")), bytes.Split(generated, []byte("\n"))
	for i := 0; i < len(c) || i < len(g); i++ {
		var cl, gl []byte
		if i < len(c) {
			cl = c[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if !bytes.Equal(cl, gl) {
			return fmt.Sprintf("line %d:\n committed: %s\n generated: %s", i+1, cl, gl)
		}
	}
	return ""
}
