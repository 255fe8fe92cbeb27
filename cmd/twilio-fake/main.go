// Command twilio-fake serves internal/twiliofake: a local stand-in for
// Twilio's Create a Message endpoint that records the messages it accepts
// (GET /messages). .ci/run starts it beside mailpit.
//
//	twilio-fake -listen 127.0.0.1:12590 -account-sid AC... -auth-token ...
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/openhouse/openhouse/internal/twiliofake"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:12590", "address to listen on (keep it on loopback)")
	sid := flag.String("account-sid", "ACfake00000000000000000000000000", "the account SID clients must authenticate with")
	token := flag.String("auth-token", "fakeauthtoken0123456789", "the auth token clients must authenticate with")
	flag.Parse()
	srv := &http.Server{Addr: *listen, Handler: twiliofake.New(*sid, *token), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("twilio-fake listening on %s", *listen)
	log.Fatal(srv.ListenAndServe())
}
