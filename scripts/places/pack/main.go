// Command pack writes internal/places' gazetteer file from the lines
// build.mjs prints (see places.Pack): scripts/places/build runs both.
package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/openhouse/openhouse/internal/places"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pack OUTPUT < lines")
		os.Exit(2)
	}
	out, err := os.Create(os.Args[1])
	if err == nil {
		err = places.Pack(out, bufio.NewReader(os.Stdin))
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}
