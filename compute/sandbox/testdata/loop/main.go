// Command loop never ends; the sandbox must kill it at its deadline.
package main

func main() {
	n := 0
	for {
		n++
	}
}
