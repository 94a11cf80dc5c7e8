package verifier

import (
	"math/big"

	"emergence/zkml/statement"
)

// TagExamStatement separates exam statements from every other MiMC hash of
// the zkml circuits (statement.TagExam).
var TagExamStatement = statement.TagExam

// ExamStatement is the public input that ties an exam circuit's key to
// what an exam registration says about it; see statement.Exam, which
// computes it.
func ExamStatement(examDigest *big.Int, n uint64, shapeDigest *big.Int, name string) (*big.Int, error) {
	return statement.Exam(examDigest, n, shapeDigest, name)
}
