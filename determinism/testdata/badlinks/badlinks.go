// Package badlinks links what no consensus package may, for TestCatches:
// a worker package, CometBFT's RPC client, net/http and an unvetted
// third-party package that links os.
package badlinks

import (
	_ "net/http"

	_ "github.com/cometbft/cometbft/rpc/client/http"
	_ "github.com/spf13/cobra"

	_ "emergence/label/labeler"
)
