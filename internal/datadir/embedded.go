package datadir

import (
	"os"
	"path/filepath"
	"strings"
)

// EmbeddedURLFile is where the embedded server's address is written in
// dataDir, so the commands (`hirebridge tail`, `replay`) find it even when
// it took a free port.
func EmbeddedURLFile(dataDir string) string {
	return filepath.Join(dataDir, "embedded-nats.url")
}

// WriteEmbeddedURL records the embedded server's address in dataDir.
func WriteEmbeddedURL(dataDir, url string) error {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return err
	}
	return os.WriteFile(EmbeddedURLFile(dataDir), []byte(url+"\n"), 0o640)
}

// ReadEmbeddedURL is the embedded server's address recorded in dataDir.
func ReadEmbeddedURL(dataDir string) (string, error) {
	b, err := os.ReadFile(EmbeddedURLFile(dataDir))
	return strings.TrimSpace(string(b)), err
}

// RemoveEmbeddedURL forgets the address once the server is gone: a
// command would wait on it for nothing.
func RemoveEmbeddedURL(dataDir string) { _ = os.Remove(EmbeddedURLFile(dataDir)) }
