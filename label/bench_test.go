package label_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"emergence/app/apptest"
	"emergence/bank"
	"emergence/label"
)

// BenchmarkSettle10k measures the block that settles a 10,000-item job with
// 5 labels per item (50 labelers × 1,000 items, 5% gold, 5 classes) through
// the real app: integer DS, payments, slashing, reputation and the results
// record. The target is 500 ms.
func BenchmarkSettle10k(b *testing.B) {
	const items, perItem, batch, K = 10_000, 5, 1_000, 5
	labelers := items * perItem / batch
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		bal := map[string]uint64{"req": 1 << 50}
		for i := 0; i < labelers; i++ {
			bal[fmt.Sprintf("l%d", i)] = 100_000_000
		}
		bk := bank.New()
		c := apptest.New(b, apptest.Genesis{Balances: bal}, bk, label.New(bk))
		truth := func(i uint32) uint32 { return (i * 2654435761 >> 7) % K }
		var gold []label.GoldItem
		for i := uint32(0); i < items; i += 20 {
			gold = append(gold, label.GoldItem{Item: i, Class: truth(i)})
		}
		salt := sha256.Sum256([]byte("bench"))
		man := hex.EncodeToString(salt[:])
		gc := label.GoldCommitment(man, gold, salt)
		classes := []string{"a", "b", "c", "d", "e"}
		c.MustOK(c.Deliver(c.SignWith("req", 5_000_000, c.Msg("label/create-job", label.CreateJobMsg{
			Manifest: man, Items: items, Classes: classes, LabelsPerItem: perItem, BatchSize: batch, RewardPerLabel: 100,
			MinStake: 1_000_000, GoldCommitment: hex.EncodeToString(gc[:]), GoldCount: uint32(len(gold)), CommitBlocks: 20, RevealBlocks: 20,
		})))[0])
		var txs [][]byte
		for i := 0; i < labelers; i++ {
			name := fmt.Sprintf("l%d", i)
			txs = append(txs, c.Sign(name, c.Msg("label/stake", label.StakeMsg{Amount: 2_000_000}), c.Msg("label/request", label.JobMsg{Job: 1})))
		}
		for _, r := range c.Deliver(txs...) {
			c.MustOK(r)
		}
		type work struct{ items, answers []uint32 }
		ws := make([]work, labelers)
		txs = txs[:0]
		for i := 0; i < labelers; i++ {
			name := fmt.Sprintf("l%d", i)
			var as label.Assignment
			if err := c.Query(fmt.Sprintf("label/assignment/1/%s", apptest.Addr(name)), nil, &as); err != nil {
				b.Fatal(err)
			}
			ans := make([]uint32, len(as.Items))
			for k, it := range as.Items {
				ans[k] = truth(it)
				if (it+uint32(i))%5 == 0 { // 80% accurate
					ans[k] = (ans[k] + 1) % K
				}
			}
			ws[i] = work{as.Items, ans}
			h := label.AnswerCommitment(1, apptest.Addr(name), as.Items, ans, salt)
			txs = append(txs, c.Sign(name, c.Msg("label/commit", label.CommitMsg{Job: 1, Commitment: hex.EncodeToString(h[:])})))
		}
		for _, r := range c.Deliver(txs...) {
			c.MustOK(r)
		}
		c.NextBlocks(20)
		txs = txs[:0]
		for i := 0; i < labelers; i++ {
			txs = append(txs, c.Sign(fmt.Sprintf("l%d", i), c.Msg("label/reveal", label.RevealMsg{Job: 1, Items: ws[i].items, Answers: ws[i].answers, Salt: hex.EncodeToString(salt[:])})))
		}
		for _, r := range c.Deliver(txs...) {
			c.MustOK(r)
		}
		c.NextBlocks(20)
		// Gold opens after the reveal window.
		c.MustOK(c.Deliver(c.Sign("req", c.Msg("label/reveal-gold", label.RevealGoldMsg{Job: 1, Gold: gold, Salt: hex.EncodeToString(salt[:])})))[0])
		var j label.Job
		if err := c.Query("label/job/1", nil, &j); err != nil {
			b.Fatal(err)
		}
		settle := c.SignWith("req", j.SettleGas, c.Msg("label/settle", label.JobMsg{Job: 1}))
		b.StartTimer()
		start := time.Now()
		res := c.Deliver(settle)
		elapsed := time.Since(start)
		b.StopTimer()
		c.MustOK(res[0])
		var r label.Results
		if err := c.Query("label/results/1", nil, &r); err != nil {
			b.Fatal(err)
		}
		correct := 0
		for i, l := range r.Labels {
			if uint32(l) == truth(uint32(i)) {
				correct++
			}
		}
		b.ReportMetric(float64(elapsed.Milliseconds()), "ms/settle-block")
		b.ReportMetric(float64(correct)/items, "accuracy")
		b.ReportMetric(float64(res[0].GasUsed), "gas")
		b.ReportMetric(float64(r.Iterations), "iterations")
		b.StartTimer()
	}
}
