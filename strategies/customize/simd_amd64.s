//go:build amd64 && !purego

#include "textflag.h"

// func dotAVX(a, b *float32, n int) float32
// n > 0 and a multiple of 8.
TEXT ·dotAVX(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	CMPQ CX, $16
	JLT  tail8

loop16:
	VMOVUPS     (SI), Y2
	VMOVUPS     32(SI), Y3
	VFMADD231PS (DI), Y2, Y0
	VFMADD231PS 32(DI), Y3, Y1
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	CMPQ        CX, $16
	JGE         loop16

tail8:
	CMPQ        CX, $8
	JLT         done
	VMOVUPS     (SI), Y2
	VFMADD231PS (DI), Y2, Y0

done:
	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VZEROUPPER
	MOVSS        X0, ret+24(FP)
	RET

// func sgdStepAVX(p, q *float32, n int, decay, step float32)
// n > 0 and a multiple of 8.
TEXT ·sgdStepAVX(SB), NOSPLIT, $0-32
	MOVQ         p+0(FP), SI
	MOVQ         q+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSS decay+24(FP), Y4
	VBROADCASTSS step+28(FP), Y5

loop:
	VMOVUPS     (SI), Y0
	VMOVUPS     (DI), Y1
	VMULPS      Y4, Y0, Y2
	VFMADD231PS Y5, Y1, Y2
	VMULPS      Y4, Y1, Y3
	VFMADD231PS Y5, Y0, Y3
	VMOVUPS     Y2, (SI)
	VMOVUPS     Y3, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNZ         loop
	VZEROUPPER
	RET
