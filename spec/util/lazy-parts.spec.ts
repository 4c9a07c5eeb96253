import { lazyExport, lazyPartsLoaded, setLazyLoader, type LazyModules } from '../../lib/util/lazy-parts';

/**
 * The stand-ins of the split build (lib/util/lazy-parts.ts): what an application does with an
 * export of the lazily loaded half (call it, `new` it, extend it, read its statics, `instanceof`)
 * acts on the real function, and nothing loads it before it is needed.
 */
class Base {
  static baseStatic(): string {
    return 'base';
  }
}

class Real extends Base {
  static CODE = 'REAL';
  static make(x: number): Real {
    return new this(x);
  }
  constructor(readonly x: number) {
    super();
  }
  seenTarget(): unknown {
    return this.constructor;
  }
}

function realFn(this: unknown, a: number, b: number): [unknown, number] {
  return [this, a + b];
}

let loads = 0;
function install(modules: LazyModules = { 'lazy/real': { Real, realFn, CONSTANT: 42 } }): void {
  loads = 0;
  setLazyLoader(() => {
    loads++;
    return modules;
  });
}

describe('lazy-parts stand-ins', () => {
  it('answers instanceof without loading the lazy half, and false: nothing it defines exists yet', () => {
    install();
    const R = lazyExport('lazy/real', 'Real') as typeof Real;
    expect({} instanceof R).toBe(false);
    expect(loads).toBe(0);
    expect(lazyPartsLoaded()).toBe(false);
  });

  it('constructs, calls statics and extends the real class, loading the lazy half once', () => {
    install();
    const R = lazyExport('lazy/real', 'Real') as typeof Real;
    const fn = lazyExport('lazy/real', 'realFn') as typeof realFn;
    const r = new R(3);
    expect(loads).toBe(1);
    expect(r).toBeInstanceOf(Real);
    expect(r).toBeInstanceOf(R);
    expect(r.seenTarget()).toBe(Real); // new.target is the real class
    expect(R.CODE).toBe('REAL');
    expect(R.name).toBe('Real');
    expect(R.make(4)).toBeInstanceOf(Real);
    class Mine extends R {
      twice(): number {
        return this.x * 2;
      }
    }
    const m = new Mine(5);
    expect([m instanceof Mine, m instanceof Real, m instanceof R, m.twice(), m.seenTarget() === Mine]).toEqual([true, true, true, 10, true]);
    expect(Mine.make(6)).toBeInstanceOf(Mine); // statics inherited through the stand-in, `this` the subclass
    (Mine as { CODE: string }).CODE = 'MINE'; // an assignment on the subclass stays on the subclass
    expect([Mine.CODE, Real.CODE, R.CODE]).toEqual(['MINE', 'REAL', 'REAL']);
    expect(Object.getPrototypeOf(Mine.prototype)).toBe(Real.prototype);
    expect(Object.getPrototypeOf(R)).toBe(Base); // the class chain above the stand-in is the real one
    expect(R.baseStatic()).toBe('base');
    expect(m).toBeInstanceOf(Base);
    const self = {};
    expect(fn.call(self, 1, 2)).toEqual([self, 3]);
    expect(fn.name).toBe('realFn');
    expect(loads).toBe(1);
    expect(lazyPartsLoaded()).toBe(true);
    expect({} instanceof R).toBe(false);
  });

  it('lets a mocking library replace and restore a static member of the real class (jest.spyOn, vi.spyOn)', () => {
    install();
    const R = lazyExport('lazy/real', 'Real') as typeof Real;
    expect(Object.prototype.hasOwnProperty.call(R, 'make')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(R, 'make')?.value).toBe(Real.make);
    expect(Reflect.ownKeys(R)).toEqual(expect.arrayContaining(['make', 'CODE', 'prototype']));
    const spy = jest.spyOn(R, 'make').mockReturnValue('mocked' as unknown as Real);
    expect(R.make(1)).toBe('mocked');
    expect(Real.make(1)).toBe('mocked'); // the code of the lazy half calls the real class
    spy.mockRestore();
    expect(R.make(2)).toBeInstanceOf(Real);
    expect(Real.make(2)).toBeInstanceOf(Real);
    Object.defineProperty(R, 'extra', { value: 1, configurable: true, writable: true });
    expect((Real as unknown as { extra: number }).extra).toBe(1);
    expect(delete (R as unknown as { extra?: number }).extra).toBe(true);
    expect('extra' in Real).toBe(false);
    expect(Object.getOwnPropertyDescriptor(R, 'prototype')?.value).toBe(Real.prototype);
  });

  it('refuses to stand for a value that is not a function, naming it', () => {
    install();
    const c = lazyExport('lazy/real', 'CONSTANT') as () => unknown;
    expect(() => c()).toThrow("the lazily loaded 'CONSTANT' of lazy/real is number, not a function or class");
  });

  it('fails clearly when used before the main bundle set its loader', () => {
    setLazyLoader(null as unknown as () => LazyModules);
    const R = lazyExport('lazy/real', 'Real') as typeof Real;
    expect(() => new R(1)).toThrow('a lazily loaded part was used before the main bundle finished loading');
  });
});
