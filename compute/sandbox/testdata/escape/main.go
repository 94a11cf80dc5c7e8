// Command escape tries to leave its directories and prints what happened.
package main

import (
	"fmt"
	"os"
)

func try(name string, err error) {
	if err != nil {
		fmt.Printf("%s: refused\n", name)
	} else {
		fmt.Printf("%s: ALLOWED\n", name)
	}
}

func main() {
	_, err := os.ReadFile("/etc/hostname")
	try("read /etc/hostname", err)
	_, err = os.ReadFile("/in/../../../../etc/hostname")
	try("read /in/../../etc/hostname", err)
	err = os.WriteFile("/in/new", []byte("x"), 0o644)
	try("write /in/new", err)
	err = os.Symlink("../../../../etc/hostname", "/out/link")
	try("symlink /out/link", err)
	err = os.Link("/out/x", "/out/y")
	try("link /out/y", err)
	_, err = os.ReadFile("/out/../../../../etc/hostname")
	try("read /out/../../etc/hostname", err)
	err = os.Mkdir("/out/sub", 0o755)
	try("mkdir /out/sub", err)
	err = os.WriteFile("/out/.stdout", []byte("forged"), 0o644)
	try("write /out/.stdout", err)
	err = os.Rename("/out/x", "/out/.stderr")
	try("rename to /out/.stderr", err)
	err = os.WriteFile("/tmp/x", []byte("x"), 0o644)
	try("write /tmp/x", err)
}
