"""GitHub expressions that mix values only the step sees (secrets, ``env``) with the rest.

Argo never sees secrets (they reach the step's pod as environment variables), so an expression
such as ``format('{0}/{0}', secrets.X || 'none') == steps.a.outputs.b`` can only be computed in
the step. Its tree becomes a small postfix program that the driver's ``wfsync_eval`` (awk)
runs: every part Argo can compute is one operand (computed by Argo, its type kept as a tag),
every value only the step has is another (a shell word), and the operators between them are
evaluated with GitHub's rules (loose equality, case-insensitive strings, ``&&``/``||`` giving an
operand, ``format``). Operands travel as environment variables, never as shell code.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

from wfsync.convert.gha.expressions.nodes import Call, Compare, Expr, Literal, Logical, Not
from wfsync.convert.gha.translate import Untranslatable

Leaf = Callable[[Expr], str | None]
"""A shell word with the (string) value of a node only the step knows, or None."""
ArgoValue = Callable[[Expr], str | None]
"""An expr-lang expression for a node Argo can compute, or None."""

_COMPARE = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_STRING_CALLS = {"contains": "contains", "startswith": "startswith", "endswith": "endswith"}

EVAL_HELPER = r"""wfsync_eval() { awk -v prog="$1" '
function ty(v){return substr(v,1,1)}
function tx(v){return substr(v,3)}
function str(v){return ty(v)=="z"?"":tx(v)}
function truthy(v,  t){t=ty(v);if(t=="z")return 0;if(t=="b")return tx(v)=="true";if(t=="n")return tx(v)+0!=0;return tx(v)!=""}
function num(v,  t,x){t=ty(v);x=tx(v);if(t=="z")return 0;if(t=="b")return x=="true"?1:0;if(t=="n")return x+0
 gsub(/^[ \t\r\n]+|[ \t\r\n]+$/,"",x);if(x=="")return 0
 if(x~/^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/)return x+0;return "nan"}
function cmp(a,b,op,  c,x,y){
 if(ty(a)==ty(b)&&ty(a)=="s"){x=toupper(tx(a));y=toupper(tx(b));c=x<y?-1:(x>y?1:0)}
 else if(ty(a)==ty(b)&&ty(a)=="z")c=0
 else{x=num(a);y=num(b);if(x=="nan"||y=="nan")return op=="ne";c=x<y?-1:(x>y?1:0)}
 return op=="eq"?c==0:op=="ne"?c!=0:op=="lt"?c<0:op=="le"?c<=0:op=="gt"?c>0:c>=0}
function fmt(n,  t,out,i,c,j,k){t=str(st[sp-n+1]);out="";i=1
 while(i<=length(t)){c=substr(t,i,1)
  if(c=="{"&&substr(t,i+1,1)=="{"){out=out"{";i+=2;continue}
  if(c=="}"&&substr(t,i+1,1)=="}"){out=out"}";i+=2;continue}
  if(c=="{"){j=index(substr(t,i),"}");k=substr(t,i+1,j-2)
   if(j>0&&k~/^[0-9]+$/&&k+0<n-1){out=out str(st[sp-n+2+k]);i+=j;continue}}
  out=out c;i++}
 sp-=n-1;st[sp]="s:"out}
function bool(x){return x?"b:true":"b:false"}
BEGIN{n=split(prog,ops," ");sp=0
 for(i=1;i<=n;i++){o=ops[i]
  if(o~/^o[0-9]+$/){st[++sp]=ENVIRON["WFSYNC_O"substr(o,2)];continue}
  if(o=="not"){st[sp]=bool(!truthy(st[sp]));continue}
  if(o~/^f[0-9]+$/){fmt(substr(o,2)+0);continue}
  b=st[sp--];a=st[sp]
  if(o=="and")st[sp]=truthy(a)?b:a
  else if(o=="or")st[sp]=truthy(a)?a:b
  else if(o=="contains")st[sp]=bool(index(toupper(str(a)),toupper(str(b)))>0)
  else if(o=="startswith")st[sp]=bool(index(toupper(str(a)),toupper(str(b)))==1)
  else if(o=="endswith"){x=toupper(str(a));y=toupper(str(b));st[sp]=bool(length(y)<=length(x)&&substr(x,length(x)-length(y)+1)==y)}
  else st[sp]=bool(cmp(a,b,o))}
 printf "%s",str(st[sp])}'; }"""
"""The driver helper: ``wfsync_eval PROGRAM`` prints the value of the postfix program over ``$WFSYNC_O<n>``."""

_TAG = '(({0}) == nil ? "z:" : (type({0}) == "bool" ? "b:" : (type({0}) in ["int", "float"] ? "n:" : "s:")))'


def compile_word(tree: Expr, leaf: Leaf, argo: ArgoValue, lines: dict[str, str]) -> str:
    """A shell word computing ``tree`` in the driver; raises :class:`Untranslatable`.

    ``lines`` receives the Argo-computed operands (``WFSYNC_V<n>`` environment lines).
    """
    operands: list[str] = []
    program: list[str] = []

    def operand(word: str) -> None:
        operands.append(word)
        program.append(f"o{len(operands)}")

    def emit(node: Expr) -> None:
        if isinstance(node, Literal):
            operand(shlex.quote(_literal(node.value)))
            return
        word = leaf(node)
        if word is not None:
            operand(f"s:{word}")
            return
        computed = argo(node)
        if computed is not None:
            var = f"WFSYNC_V{len(lines) + 1}"
            lines[var] = f"{{{{=sprig.b64enc({_TAG.format(computed)} + string({computed}))}}}}"
            operand(f'"$(wfsync_b64 "${var}")"')
            return
        if isinstance(node, Not):
            emit(node.operand)
            program.append("not")
        elif isinstance(node, Logical):
            emit(node.args[0])
            for arg in node.args[1:]:
                emit(arg)
                program.append("and" if node.op == "&&" else "or")
        elif isinstance(node, Compare):
            emit(node.left)
            emit(node.right)
            program.append(_COMPARE[node.op])
        elif isinstance(node, Call) and node.name.lower() == "format" and node.args:
            for arg in node.args:
                emit(arg)
            program.append(f"f{len(node.args)}")
        elif isinstance(node, Call) and node.name.lower() in _STRING_CALLS and len(node.args) == 2:
            emit(node.args[0])
            emit(node.args[1])
            program.append(_STRING_CALLS[node.name.lower()])
        else:
            raise Untranslatable("a part of it is known neither to Argo nor to the step")

    emit(tree)
    exports = "; ".join(f"export WFSYNC_O{n}={word}" for n, word in enumerate(operands, start=1))
    return f'"$({exports}; wfsync_eval {shlex.quote(" ".join(program))})"'


def _literal(value: object) -> str:
    """A tagged operand for a literal: ``s:``, ``n:``, ``b:`` or ``z:`` and the text."""
    if value is None:
        return "z:"
    if isinstance(value, bool):
        return "b:true" if value else "b:false"
    if isinstance(value, (int, float)):
        number = float(value)
        return "n:" + (str(int(number)) if number.is_integer() else repr(number))
    return f"s:{value}"
