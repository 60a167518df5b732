/**
 * Doubly linked FIFO with O(1) removal by node: waiting polls leave when their socket closes and queued
 * tasks leave when canceled, without scanning.
 */
export interface QueueNode<T> {
  readonly value: T;
  prev: QueueNode<T> | undefined;
  next: QueueNode<T> | undefined;
  linked: boolean;
}

export class LinkedQueue<T> {
  #head: QueueNode<T> | undefined;
  #tail: QueueNode<T> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(value: T): QueueNode<T> {
    const node: QueueNode<T> = { value, prev: this.#tail, next: undefined, linked: true };
    if (this.#tail) this.#tail.next = node;
    else this.#head = node;
    this.#tail = node;
    this.#size++;
    return node;
  }

  pushFront(value: T): QueueNode<T> {
    const node: QueueNode<T> = { value, prev: undefined, next: this.#head, linked: true };
    if (this.#head) this.#head.prev = node;
    else this.#tail = node;
    this.#head = node;
    this.#size++;
    return node;
  }

  shift(): T | undefined {
    const node = this.#head;
    if (!node) return undefined;
    this.remove(node);
    return node.value;
  }

  remove(node: QueueNode<T>): boolean {
    if (!node.linked) return false;
    if (node.prev) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.#tail = node.prev;
    node.prev = node.next = undefined;
    node.linked = false;
    this.#size--;
    return true;
  }

  clear(): T[] {
    const out: T[] = [];
    for (let v = this.shift(); v !== undefined; v = this.shift()) out.push(v);
    return out;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let n = this.#head; n; n = n.next) yield n.value;
  }
}
