// Minimal types for hyperdb (the package ships none): the parts meshflow uses.
declare module 'hyperdb' {
  interface QueryStream<T> {
    toArray(): Promise<T[]>
    one(): Promise<T | null>
    [Symbol.asyncIterator](): AsyncIterator<T>
  }
  interface Range { gt?: object, gte?: object, lt?: object, lte?: object }
  interface HyperDBInstance {
    ready(): Promise<void>
    close(): Promise<void>
    flush(): Promise<void>
    get(collection: string, key: object): Promise<any>
    insert(collection: string, doc: object): Promise<void>
    delete(collection: string, key: object): Promise<void>
    find(collection: string, range?: Range, options?: { limit?: number, reverse?: boolean }): QueryStream<any>
    findOne(collection: string, range?: Range, options?: { limit?: number, reverse?: boolean }): Promise<any>
  }
  const HyperDB: {
    /** `storage`: a directory, or a rocksdb-native instance (opened with the caller's options). */
    rocks(storage: string | object, definition: unknown, options?: { readOnly?: boolean, writable?: boolean }): HyperDBInstance
  }
  export type { HyperDBInstance, QueryStream }
  export default HyperDB
}
