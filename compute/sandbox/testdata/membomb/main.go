// Command membomb allocates 16 MiB blocks and keeps them until memory runs out.
package main

import "fmt"

func main() {
	var keep [][]byte
	for i := 0; i < 1<<10; i++ {
		b := make([]byte, 16<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		keep = append(keep, b)
		fmt.Println("allocated MiB", 16*len(keep))
	}
}
