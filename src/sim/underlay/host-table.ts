/** A growable Int32 column: one entry per attached host, indexed by host number. */
export class HostColumn {
  private data: Int32Array = new Int32Array(1024)
  length = 0

  push(value: number): number {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2)
      grown.set(this.data)
      this.data = grown
    }
    this.data[this.length] = value
    return this.length++
  }

  get(index: number): number {
    if (index >>> 0 !== index || index >= this.length)
      throw new RangeError(`Unknown host ${index} (${this.length} attached)`)
    return this.data[index]!
  }
}
