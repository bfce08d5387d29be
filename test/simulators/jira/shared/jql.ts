/**
 * A small JQL tokenizer and recursive-descent parser for the subset the product uses: project, labels, key,
 * id, status, statusCategory, priority, assignee, reporter, summary/text `~`, created/updated date ranges,
 * `issue.property[key].path`, AND/OR/NOT with parentheses, and ORDER BY. Anything else is a 400 with the
 * "Error in the JQL Query: ..." style Jira uses, so a query our product builds wrongly fails here too.
 * Evaluation lives in jql-eval.ts.
 */
export class JqlError extends Error {}

export type Token =
  | { t: 'word'; v: string; pos: number; quoted: boolean }
  | { t: 'op'; v: string; pos: number }
  | { t: 'punct'; v: '(' | ')' | ','; pos: number }
  | { t: 'end'; pos: number };

export type JqlValue = { kind: 'literal'; text: string; quoted: boolean } | { kind: 'function'; name: string; args: string[] };

export type Operator = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~' | 'in' | 'not in' | 'is' | 'is not';

export type Expr =
  | { kind: 'and' | 'or'; items: Expr[] }
  | { kind: 'not'; item: Expr }
  | { kind: 'clause'; field: string; op: Operator; values: JqlValue[]; empty: boolean };

export interface SortKey {
  field: string;
  direction: 'asc' | 'desc';
}

export interface JqlQuery {
  where: Expr | null;
  orderBy: SortKey[];
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'empty', 'null', 'order', 'by', 'asc', 'desc']);
const OPERATORS = ['!=', '>=', '<=', '!~', '=', '>', '<', '~'];
const VALID_OPERATORS = "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.";

const where = (pos: number): string => `(line 1, character ${pos + 1})`;

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: 'punct', v: c, pos: i });
      i += 1;
      continue;
    }
    const op = OPERATORS.find((o) => input.startsWith(o, i));
    if (op) {
      tokens.push({ t: 'op', v: op, pos: i });
      i += op.length;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i;
      let text = '';
      i += 1;
      while (i < input.length && input[i] !== c) {
        if (input[i] === '\\' && i + 1 < input.length) i += 1;
        text += input[i];
        i += 1;
      }
      if (i >= input.length) throw new JqlError(`Error in the JQL Query: The quoted string '${text}' has not been completed. ${where(start)}`);
      i += 1;
      tokens.push({ t: 'word', v: text, pos: start, quoted: true });
      continue;
    }
    const start = i;
    // Unquoted words may hold dots, dashes, brackets (issue.property[x].y), colons and plus signs.
    while (i < input.length && /[A-Za-z0-9_.\-[\]:+*@/]/.test(input[i] as string)) i += 1;
    if (i === start) {
      throw new JqlError(
        `Error in the JQL Query: The character '${c}' is a reserved JQL character. You must enclose it in a string or use the escape '\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}' instead. ${where(start)}`,
      );
    }
    tokens.push({ t: 'word', v: input.slice(start, i), pos: start, quoted: false });
  }
  tokens.push({ t: 'end', pos: input.length });
  return tokens;
}

class Parser {
  private i = 0;
  private readonly tokens: Token[];
  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.t !== 'end') this.i += 1;
    return token;
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.t === 'word' && !token.quoted && token.v.toLowerCase() === word;
  }

  private describe(token: Token): string {
    return token.t === 'end' ? 'end of query' : token.v;
  }

  parse(): JqlQuery {
    let whereExpr: Expr | null = null;
    if (this.peek().t !== 'end' && !this.isKeyword('order')) whereExpr = this.or();
    const orderBy: SortKey[] = [];
    if (this.isKeyword('order')) {
      this.next();
      if (!this.isKeyword('by')) throw new JqlError(`Error in the JQL Query: Expecting 'BY' but got '${this.describe(this.peek())}'. ${where(this.peek().pos)}`);
      this.next();
      do {
        const field = this.next();
        if (field.t !== 'word') throw new JqlError(`Error in the JQL Query: Expecting a field name but got '${this.describe(field)}'. ${where(field.pos)}`);
        let direction: SortKey['direction'] = 'asc';
        if (this.isKeyword('asc') || this.isKeyword('desc')) direction = (this.next() as { v: string }).v.toLowerCase() as SortKey['direction'];
        orderBy.push({ field: field.v, direction });
      } while (this.peek().t === 'punct' && (this.peek() as { v: string }).v === ',' && this.next());
    }
    const rest = this.peek();
    if (rest.t !== 'end') {
      throw new JqlError(`Error in the JQL Query: Expecting either 'OR' or 'AND' but got '${this.describe(rest)}'. ${where(rest.pos)}`);
    }
    return { where: whereExpr, orderBy };
  }

  private or(): Expr {
    const items = [this.and()];
    while (this.isKeyword('or')) {
      this.next();
      items.push(this.and());
    }
    return items.length === 1 ? (items[0] as Expr) : { kind: 'or', items };
  }

  private and(): Expr {
    const items = [this.unary()];
    while (this.isKeyword('and')) {
      this.next();
      items.push(this.unary());
    }
    return items.length === 1 ? (items[0] as Expr) : { kind: 'and', items };
  }

  private unary(): Expr {
    if (this.isKeyword('not')) {
      this.next();
      return { kind: 'not', item: this.unary() };
    }
    const token = this.peek();
    if (token.t === 'punct' && token.v === '(') {
      this.next();
      const inner = this.or();
      const close = this.next();
      if (close.t !== 'punct' || close.v !== ')') throw new JqlError(`Error in the JQL Query: Expecting ')' but got '${this.describe(close)}'. ${where(close.pos)}`);
      return inner;
    }
    return this.clause();
  }

  private clause(): Expr {
    const fieldToken = this.next();
    if (fieldToken.t !== 'word' || (!fieldToken.quoted && KEYWORDS.has(fieldToken.v.toLowerCase()))) {
      throw new JqlError(`Error in the JQL Query: Expecting a field name but got '${this.describe(fieldToken)}'. ${where(fieldToken.pos)}`);
    }
    const op = this.operator();
    if (op === 'is' || op === 'is not') {
      if (!this.isKeyword('empty') && !this.isKeyword('null')) {
        throw new JqlError(`Error in the JQL Query: Expecting 'EMPTY' or 'NULL' but got '${this.describe(this.peek())}'. ${where(this.peek().pos)}`);
      }
      this.next();
      return { kind: 'clause', field: fieldToken.v, op, values: [], empty: true };
    }
    if (op === 'in' || op === 'not in') {
      const open = this.next();
      if (open.t !== 'punct' || open.v !== '(') {
        throw new JqlError(`Error in the JQL Query: Expecting '(' but got '${this.describe(open)}'. ${where(open.pos)}`);
      }
      const values: JqlValue[] = [];
      do values.push(this.value());
      while (this.peek().t === 'punct' && (this.peek() as { v: string }).v === ',' && this.next());
      const close = this.next();
      if (close.t !== 'punct' || close.v !== ')') throw new JqlError(`Error in the JQL Query: Expecting ')' but got '${this.describe(close)}'. ${where(close.pos)}`);
      return { kind: 'clause', field: fieldToken.v, op, values, empty: false };
    }
    if (this.isKeyword('empty') || this.isKeyword('null')) {
      this.next();
      return { kind: 'clause', field: fieldToken.v, op: op === '!=' ? 'is not' : 'is', values: [], empty: true };
    }
    return { kind: 'clause', field: fieldToken.v, op, values: [this.value()], empty: false };
  }

  private operator(): Operator {
    const token = this.next();
    if (token.t === 'op') return token.v as Operator;
    if (token.t === 'word' && !token.quoted) {
      const word = token.v.toLowerCase();
      if (word === 'in') return 'in';
      if (word === 'not' && this.isKeyword('in')) {
        this.next();
        return 'not in';
      }
      if (word === 'is') {
        if (this.isKeyword('not')) {
          this.next();
          return 'is not';
        }
        return 'is';
      }
    }
    throw new JqlError(`Error in the JQL Query: Expecting operator but got '${this.describe(token)}'. ${VALID_OPERATORS} ${where(token.pos)}`);
  }

  private value(): JqlValue {
    const token = this.next();
    if (token.t !== 'word' || (!token.quoted && ['and', 'or', 'order', 'in', 'is'].includes(token.v.toLowerCase()))) {
      throw new JqlError(
        `Error in the JQL Query: Expecting either a value, list or function but got '${this.describe(token)}'. You must specify the value to search for. ${where(token.pos)}`,
      );
    }
    const open = this.peek();
    if (!token.quoted && open.t === 'punct' && open.v === '(') {
      this.next();
      const args: string[] = [];
      while (!(this.peek().t === 'punct' && (this.peek() as { v: string }).v === ')')) {
        const arg = this.next();
        if (arg.t === 'end') throw new JqlError(`Error in the JQL Query: Expecting ')' but got 'end of query'. ${where(arg.pos)}`);
        if (arg.t === 'word') args.push(arg.v);
      }
      this.next();
      return { kind: 'function', name: token.v, args };
    }
    return { kind: 'literal', text: token.v, quoted: token.quoted };
  }
}

export function parseJql(input: string): JqlQuery {
  return new Parser(tokenize(input)).parse();
}
