package tx

// DefaultMinGasPriceMilli is the default genesis's minimum gas price, in
// thousandths of a uemg per unit of gas (0.01 uemg per gas).
const DefaultMinGasPriceMilli = 10

// MinFee returns the smallest fee, in uemg, accepted for a gas limit at a
// minimum gas price of priceMilli thousandths of a uemg per gas: gasLimit ×
// priceMilli / 1000, rounded up. A product over 64 bits asks for the
// largest fee, which no account can pay.
func MinFee(gasLimit, priceMilli uint64) uint64 {
	hi, lo := mul64(gasLimit, priceMilli)
	if hi != 0 {
		return ^uint64(0)
	}
	return lo/1000 + (lo%1000+999)/1000
}

// mul64 returns the 128-bit product of a and b.
func mul64(a, b uint64) (hi, lo uint64) {
	const mask32 = 1<<32 - 1
	a0, a1 := a&mask32, a>>32
	b0, b1 := b&mask32, b>>32
	w0 := a0 * b0
	t := a1*b0 + w0>>32
	w1, w2 := t&mask32, t>>32
	w1 += a0 * b1
	return a1*b1 + w2 + w1>>32, a * b
}
