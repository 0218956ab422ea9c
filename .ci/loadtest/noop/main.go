// Command noop is the baseline of the load test: a Go HTTP handler that
// reads the body and answers a fixed JSON object, doing nothing else.
package main

import (
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := ":8090"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"published","id":"00000000000000000000000000000000"}`))
	})
	log.Fatal(http.ListenAndServe(addr, nil))
}
