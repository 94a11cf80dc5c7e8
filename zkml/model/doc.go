// Package model holds the offline side of Emergence's zkML: data sets (CSV
// and IDX loaders), float training of MLPs and multinomial logistic
// regression, quantization into a versioned fixed-point model file, the
// exact integer inference that circuits reproduce, the hiding MiMC
// commitment to a model's weights, and exams (public test sets identified by
// a digest).
//
// Floats are used only for training. Everything a proof speaks about (the
// quantized model, its predictions, commitments and exam digests) is integer
// arithmetic, so the Go model and the circuit agree bit for bit.
package model
