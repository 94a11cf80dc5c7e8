package s3test_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"emergence/blob/s3/s3test"
)

// TestBinaryIsThePinnedRelease builds (or finds in the cache) the gateway
// and checks that the binary is versitygw at Version, built from its module.
func TestBinaryIsThePinnedRelease(t *testing.T) {
	bin, err := s3test.Binary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m %s: %v\n%s", bin, err, out)
	}
	if want := "mod\tgithub.com/versity/versitygw\t" + s3test.Version; !strings.Contains(string(out), want) {
		t.Fatalf("%s is not versitygw %s:\n%s", bin, s3test.Version, out)
	}
}

// TestStartServes starts a gateway and makes a bucket through the S3 API.
func TestStartServes(t *testing.T) {
	g := s3test.Start(t)
	if u := g.Bucket(t, "probe"); u != "s3://probe?endpoint=http://"+g.Endpoint {
		t.Fatalf("Bucket returned %q", u)
	}
	if ok, err := g.Client(t).BucketExists(t.Context(), "probe"); err != nil || !ok {
		t.Fatalf("bucket probe after Bucket: %v, %v", ok, err)
	}
}
