package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"emergence/blob"
	"emergence/blob/local"
	"emergence/blob/s3"
)

// blobStoreFlag adds --blob-store to a command that runs a node.
func blobStoreFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "blob-store", "", `where the node keeps blobs: "" for the directory blobs/ in --home, or an S3 bucket `+
		`s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); `+
		`overrides blob_store in config/emergence.json`)
}

// openBlobStore opens the node's blob store: the directory blobs/ in home
// when spec is empty, else the S3 bucket spec names.
func openBlobStore(ctx context.Context, home, spec string, maxBytes int64) (blob.Store, error) {
	switch {
	case spec == "":
		s, err := local.Open(filepath.Join(home, "blobs"), local.WithMaxSize(maxBytes))
		if err != nil {
			return nil, fmt.Errorf("open blob store: %w", err)
		}
		return s, nil
	case strings.HasPrefix(spec, "s3://"):
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := s3.Open(ctx, spec, s3.WithMaxSize(maxBytes))
		switch {
		case errors.Is(err, s3.ErrBadURL):
			return nil, errorf("use --blob-store s3://BUCKET?endpoint=http://HOST:PORT", "%w", err)
		case errors.Is(err, s3.ErrNoBucket):
			return nil, errorf("create the bucket first (e.g. with your S3 server's tools), or name another", "%w", err)
		case err != nil:
			return nil, failf("check the endpoint is up and AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY hold keys that may use the bucket", "%w", err)
		}
		return s, nil
	default:
		return nil, errorf(`leave --blob-store empty for the directory in --home, or pass s3://BUCKET?endpoint=http://HOST:PORT`, "unknown blob store %q", spec)
	}
}

// nodeBlobStore is the store one node of a testnet gets from the testnet's spec: the
// same S3 bucket under the prefix PREFIX/NAME, so the nodes share one server but each
// keeps its own blobs. An empty spec stays empty (each home's blobs/ directory).
func nodeBlobStore(spec, name string) (string, error) {
	if spec == "" {
		return "", nil
	}
	if !strings.HasPrefix(spec, "s3://") {
		return "", errorf(`leave --blob-store empty for each node's directory, or pass s3://BUCKET?endpoint=http://HOST:PORT`, "unknown blob store %q", spec)
	}
	if _, err := s3.ParseURL(spec); err != nil {
		return "", errorf("use --blob-store s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT", "%w", err)
	}
	u, err := url.Parse(spec)
	if err != nil {
		return "", errorf("use --blob-store s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT", "blob store %q: %w", spec, err)
	}
	u.Path = path.Join("/", u.Path, name)
	return u.String(), nil
}
