package classify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ShutdownGrace is how long Serve lets requests in flight finish once its
// context is done.
const ShutdownGrace = 5 * time.Second

// Serve runs the miner's HTTP server on ln until ctx is done (then it shuts
// down gracefully and returns nil) or the server fails. Once the server is
// accepting it calls publish, which announces the address (the miner
// command sends subnet/serve); an error from publish stops the server and
// is returned. Serve closes ln.
func Serve(ctx context.Context, ln net.Listener, m *Miner, publish func(context.Context) error) error {
	srv := &http.Server{Handler: m, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if publish != nil {
		if err := publish(ctx); err != nil {
			srv.Close()
			<-errc
			return err
		}
	}
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
		defer cancel()
		err := srv.Shutdown(sctx)
		<-errc
		return err
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve: %w", err)
	}
}
