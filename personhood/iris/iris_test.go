package iris_test

import (
	"bytes"
	"errors"
	"math"
	"sort"
	"testing"

	"emergence/personhood/iris"
	"emergence/personhood/sealbox"
)

func TestRotatedCaptureAlignsAtItsShift(t *testing.T) {
	cfg := iris.DefaultSynthConfig()
	cfg.NoiseMin, cfg.NoiseMax, cfg.PoorRate, cfg.FragileRate, cfg.MaxEyelidRows, cfg.MaxRotation = 0, 0, 0, 0, 0, 0
	s := iris.NewSynth(1, cfg)
	a := s.Capture(s.Eye())
	for _, shift := range []int{-15, -7, 0, 3, 15} {
		b := a.Rotate(shift)
		// Rolling the probe b by -shift undoes the rotation.
		d, got := iris.MinDistance(&b, &a, iris.DefaultMinCommonBits)
		if d != 0 || got != -shift {
			t.Fatalf("rotation %d: min distance %v at shift %d, want 0 at %d", shift, d, got, -shift)
		}
	}
	c := a.Rotate(60)
	if d, _ := iris.MinDistance(&c, &a, iris.DefaultMinCommonBits); d < 0.2 {
		t.Fatalf("rotation 60 (far beyond the search) still matched at %v", d)
	}
}

func TestDistanceCountsOnlyCommonMask(t *testing.T) {
	var a, b iris.Template
	for j := range a.Mask {
		a.Mask[j], b.Mask[j] = ^uint64(0), ^uint64(0)
	}
	b.Code[0] = 0xF        // 4 differing bits
	b.Mask[1] = 0          // one column masked in b
	a.Code[1] = ^uint64(0) // differences hidden by the mask
	d, common := iris.Distance(&a, &b, 0)
	if common != iris.CodeBits-64 {
		t.Fatalf("common = %d, want %d", common, iris.CodeBits-64)
	}
	if want := 4.0 / float64(iris.CodeBits-64); math.Abs(d-want) > 1e-12 {
		t.Fatalf("FHD = %v, want %v", d, want)
	}
	var empty iris.Template
	if d, c := iris.Distance(&empty, &empty, 0); d != 1 || c != 0 {
		t.Fatalf("fully masked: FHD %v common %d, want 1 and 0", d, c)
	}
}

func TestTemplateBinaryRoundTrip(t *testing.T) {
	s := iris.NewSynth(2, iris.DefaultSynthConfig())
	a := s.Capture(s.Eye())
	b, _ := a.MarshalBinary()
	if len(b) != iris.TemplateSize {
		t.Fatalf("size %d", len(b))
	}
	var c iris.Template
	if err := c.UnmarshalBinary(b); err != nil || c != a {
		t.Fatalf("round trip differs (err %v)", err)
	}
	if err := c.UnmarshalBinary(b[:10]); !errors.Is(err, iris.ErrMalformedTemplate) {
		t.Fatalf("short input: err = %v", err)
	}
}

type population struct {
	left, right  []*iris.Eye
	enrol, query []iris.Person
}

func makePopulation(seed uint64, n int) population {
	s := iris.NewSynth(seed, iris.DefaultSynthConfig())
	var p population
	for i := 0; i < n; i++ {
		l, r := s.Eye(), s.Eye()
		p.left, p.right = append(p.left, l), append(p.right, r)
		p.enrol = append(p.enrol, s.CapturePerson(l, r))
		p.query = append(p.query, s.CapturePerson(l, r))
	}
	return p
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// TestSyntheticDistributionsAndErrorRates measures single-eye genuine and
// impostor distances on a modest population and bounds FMR and FNMR at the
// default threshold.
func TestSyntheticDistributionsAndErrorRates(t *testing.T) {
	const n = 150
	p := makePopulation(3, n)
	var genuine, impostor []float64
	for i := 0; i < n; i++ {
		g, _ := iris.MinDistance(&p.query[i].Left, &p.enrol[i].Left, iris.DefaultMinCommonBits)
		genuine = append(genuine, g)
		g, _ = iris.MinDistance(&p.query[i].Right, &p.enrol[i].Right, iris.DefaultMinCommonBits)
		genuine = append(genuine, g)
		for j := i + 1; j < n; j++ {
			d, _ := iris.MinDistance(&p.query[i].Left, &p.enrol[j].Left, iris.DefaultMinCommonBits)
			impostor = append(impostor, d)
		}
	}
	sort.Float64s(genuine)
	sort.Float64s(impostor)
	fnm, fm := 0, 0
	for _, g := range genuine {
		if g > iris.DefaultThreshold {
			fnm++
		}
	}
	for _, d := range impostor {
		if d <= iris.DefaultThreshold {
			fm++
		}
	}
	gm, im := mean(genuine), mean(impostor)
	t.Logf("genuine: n=%d mean=%.4f median=%.4f max=%.4f; impostor (min over 31 rotations): n=%d mean=%.4f min=%.4f; FNMR=%d/%d FMR=%d/%d",
		len(genuine), gm, genuine[len(genuine)/2], genuine[len(genuine)-1], len(impostor), im, impostor[0], fnm, len(genuine), fm, len(impostor))
	if gm < 0.05 || gm > 0.25 {
		t.Errorf("genuine mean %v outside 0.05..0.25", gm)
	}
	if im < 0.43 || im > 0.49 {
		t.Errorf("impostor mean %v outside 0.43..0.49", im)
	}
	if impostor[0] < 0.38 {
		t.Errorf("closest impostor at %v, too close to the threshold", impostor[0])
	}
	if fm != 0 {
		t.Errorf("FMR %d/%d, want 0", fm, len(impostor))
	}
	if fnm*100 > 2*len(genuine) {
		t.Errorf("FNMR %d/%d above 2%%", fnm, len(genuine))
	}
}

// TestSearchCascadeAgreesWithExact enrols people, queries fresh captures of
// each and of strangers, and checks the cascade finds what the exact search
// finds: the duplicate, and nobody else.
func TestSearchCascadeAgreesWithExact(t *testing.T) {
	const n, strangers = 200, 40
	p := makePopulation(4, n+strangers)
	for _, rule := range []iris.Rule{iris.RuleBothEyes, iris.RuleEitherEye} {
		cfg := iris.DefaultConfig()
		cfg.Rule = rule
		x, err := iris.NewIndex(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if id := x.Add(&p.enrol[i]); id != i {
				t.Fatalf("id %d, want %d", id, i)
			}
		}
		missed := 0
		var full, compared int
		for i := 0; i < n+strangers; i++ {
			got, st := x.Search(&p.query[i])
			want, _ := x.SearchExact(&p.query[i])
			full += st.FullComparisons
			compared += st.EyeComparisons
			if len(got) != len(want) {
				t.Fatalf("rule %d query %d: cascade found %v, exact %v", rule, i, got, want)
			}
			for k := range got {
				if got[k] != want[k] {
					t.Fatalf("rule %d query %d: cascade %v, exact %v", rule, i, got[k], want[k])
				}
			}
			for _, m := range got {
				if m.ID != i {
					t.Fatalf("rule %d query %d falsely matched person %d (%v)", rule, i, m.ID, m)
				}
			}
			if i < n && len(got) == 0 {
				missed++
			}
			if i >= n && len(got) != 0 {
				t.Fatalf("stranger %d matched %v", i, got)
			}
		}
		t.Logf("rule %d: duplicates missed %d/%d; prefix survivors %d of %d eye comparisons", rule, missed, n, full, compared)
		if missed*100 > 3*n {
			t.Errorf("rule %d: two-eye FNMR %d/%d above 3%%", rule, missed, n)
		}
		if full*20 > compared {
			t.Errorf("rule %d: %d of %d comparisons survived the prefix stage; cascade is not pruning", rule, full, compared)
		}
	}
}

func TestIndexRoundTripsPeopleAndRejectsBadConfig(t *testing.T) {
	p := makePopulation(5, 3)
	x, _ := iris.NewIndex(iris.DefaultConfig())
	for i := range p.enrol {
		x.Add(&p.enrol[i])
	}
	for i := range p.enrol {
		got, err := x.Person(i)
		if err != nil || got != p.enrol[i] {
			t.Fatalf("person %d differs (err %v)", i, err)
		}
	}
	if _, err := x.Person(3); err == nil {
		t.Fatal("Person(3) of 3 succeeded")
	}
	bad := []iris.Config{
		{Threshold: 0.6, EarlyReject: 0.7, MinCommonBits: 100},
		{Threshold: 0.3, EarlyReject: 0.2, MinCommonBits: 100},
		{Threshold: 0.3, EarlyReject: 0.4, MinCommonBits: 0},
		{Threshold: 0.3, EarlyReject: 0.4, MinCommonBits: 100, Rule: 9},
	}
	for _, c := range bad {
		if _, err := iris.NewIndex(c); err == nil {
			t.Fatalf("config %+v accepted", c)
		}
	}
	empty, _ := iris.NewIndex(iris.DefaultConfig())
	if ok, m := empty.Unique(&p.query[0]); !ok || m != nil {
		t.Fatal("empty index found a match")
	}
}

func TestEncryptedStoreRoundTrip(t *testing.T) {
	p := makePopulation(6, 5)
	x, _ := iris.NewIndex(iris.DefaultConfig())
	for i := range p.enrol {
		x.Add(&p.enrol[i])
	}
	var buf bytes.Buffer
	if err := x.SaveEncrypted(&buf, []byte("operator pw")); err != nil {
		t.Fatal(err)
	}
	raw, _ := p.enrol[2].Left.MarshalBinary()
	if bytes.Contains(buf.Bytes(), raw[:64]) {
		t.Fatal("template bytes visible in the encrypted store")
	}
	y, err := iris.LoadEncrypted(bytes.NewReader(buf.Bytes()), []byte("operator pw"), iris.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if y.Len() != 5 {
		t.Fatalf("loaded %d people", y.Len())
	}
	if ok, m := y.Unique(&p.query[2]); ok || m[0].ID != 2 {
		t.Fatalf("loaded index does not find person 2: %v", m)
	}
	if _, err := iris.LoadEncrypted(bytes.NewReader(buf.Bytes()), []byte("wrong"), iris.DefaultConfig()); !errors.Is(err, sealbox.ErrDecrypt) {
		t.Fatalf("wrong passphrase: err = %v", err)
	}
	trunc := buf.Bytes()[:buf.Len()-7]
	if _, err := iris.LoadEncrypted(bytes.NewReader(trunc), []byte("operator pw"), iris.DefaultConfig()); !errors.Is(err, iris.ErrMalformedStore) {
		t.Fatalf("truncated: err = %v", err)
	}
}

// TestCascadeOnBorderlineGenuinePairs stresses the statistical prefix stage
// where it is weakest: genuine pairs whose distance sits just under the
// threshold (capture flip rates 20-22%, so FHD ≈ 0.32-0.35). Every pair the
// exact search matches, the cascade must match too, up to 1 in 50.
func TestCascadeOnBorderlineGenuinePairs(t *testing.T) {
	cfg := iris.DefaultSynthConfig()
	cfg.NoiseMin, cfg.NoiseMax, cfg.PoorRate = 0.20, 0.22, 0
	s := iris.NewSynth(7, cfg)
	x, _ := iris.NewIndex(iris.DefaultConfig())
	var queries []iris.Person
	const n = 120
	for i := 0; i < n; i++ {
		l, r := s.Eye(), s.Eye()
		p := s.CapturePerson(l, r)
		x.Add(&p)
		queries = append(queries, s.CapturePerson(l, r))
	}
	exactHits, cascadeMisses := 0, 0
	var dists []float64
	for i := range queries {
		want, _ := x.SearchExact(&queries[i])
		got, _ := x.Search(&queries[i])
		if len(want) > 0 {
			exactHits++
			dists = append(dists, want[0].Left, want[0].Right)
			if len(got) == 0 {
				cascadeMisses++
			}
		}
		if len(got) > len(want) {
			t.Fatalf("query %d: cascade matched %v, exact only %v", i, got, want)
		}
	}
	sort.Float64s(dists)
	t.Logf("borderline pairs: exact matched %d/%d (eye FHD median %.3f, max %.3f), cascade missed %d of those", exactHits, n, dists[len(dists)/2], dists[len(dists)-1], cascadeMisses)
	if exactHits < n/3 {
		t.Fatalf("only %d borderline pairs matched exactly; the case does not test the threshold", exactHits)
	}
	if cascadeMisses*50 > exactHits {
		t.Fatalf("cascade missed %d of %d borderline genuine matches", cascadeMisses, exactHits)
	}
}
