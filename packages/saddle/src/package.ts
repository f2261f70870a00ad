import { bindBareDecorators } from './decorator-binding.js'
import { type EventHandler, EventBus, joinBroadcast } from './events.js'
import { type AfterHook, type BeforeHook, type FailedHook, HookSet, type TeardownHook } from './hooks.js'
import { type LifecycleHook, type LifecycleName, LifecycleHooks } from './mount-hooks.js'
import type { RouteHandler } from './route-types.js'
import {
  createRoute,
  type ErrorHandler,
  type GuardHandler,
  type Handler,
  type PermissionHandler,
  type Route,
  type RouteGroup,
  type RouteOptions,
  type RoutePackage,
} from './route.js'
import { Router } from './router.js'
import type { SaddleWas } from './saddle-was.js'

export type { ErrorHandler, GuardHandler, PermissionHandler }

/** The app a package was added to, as the package uses it (`Saddle`). */
export interface OwnerApp {
  registerRouteName(route: Route): void
  invalidateCompiled(): void
  idleWas(): SaddleWas
}

/** Marks a handler wrapped by `testpassRequired(fn)` (read when routes are compiled). */
export const TESTPASS: unique symbol = Symbol('saddle.testpass')

/** A TC39 method decorator that registers the method (class-based apps, README "The app"). */
export type MethodDecorator = (value: Function, context: ClassMethodDecoratorContext) => void

/**
 * A set of routes with its own hooks, lifecycle hooks and error handlers (README "Hooks, errors, guards"). `Saddle` is a
 * Package that can be mounted; `app.addPackage(pkg, { prefix, ns })` routes a package under the app
 * after the app's own routes, and the package inherits the app's settings.
 */
export class Package implements RoutePackage {
  /** Namespace for URL building (`'v1.owners'`); '' for none. Set by `addPackage`. */
  ns = ''
  /** URL prefix under the app ('' or '/v1'). Set by `addPackage`. */
  prefix = ''
  /** The app this package was added to (the app itself for a Saddle). */
  protected ownerApp: OwnerApp | null = null
  /** @internal */ readonly packageRouter = new Router<RouteGroup>()
  /** @internal */ readonly packageRoutes: Route[] = []
  /** @internal */ readonly hookSet = new HookSet()
  /** @internal */ readonly _lifecycle = new LifecycleHooks()
  /** @internal */ readonly eventBus = new EventBus<SaddleWas>()
  /** @internal */ readonly broadcastBus = new EventBus<SaddleWas>()
  /** @internal */ readonly errorHandlersByStatus = new Map<number, ErrorHandler>()
  /** @internal */ fallbackErrorHandler: ErrorHandler | null = null
  /** @internal */ loginGuard: GuardHandler | null = null
  /** @internal */ permissionGuard: PermissionHandler | null = null

  constructor() {
    bindBareDecorators(this)
    joinBroadcast(this)
  }

  /**
   * Registers a route: `route(path, handler)`, `route(path, options, handler)`, or — without a
   * handler — a TC39 method decorator (`@app.route('/x')`).
   */
  route<P extends string>(path: P, handler: RouteHandler<P>): Route
  route<P extends string>(path: P, options: RouteOptions, handler: RouteHandler<P>): Route
  route(path: string, options?: RouteOptions): MethodDecorator
  route(path: string, a?: RouteOptions | Handler, b?: Handler): Route | MethodDecorator {
    const options: RouteOptions = typeof a === 'function' || a === undefined ? {} : a
    const handler = typeof a === 'function' ? a : b
    if (handler === undefined) {
      return (value, context) => {
        const route = this._addRoute(path, options, value as Handler, String(context.name))
        context.addInitializer(function (this: unknown) {
          route.thisArg = this
        })
      }
    }
    return this._addRoute(path, options, handler, handler.name)
  }

  private _addRoute(path: string, options: RouteOptions, handler: Handler, fnName: string): Route {
    const route = createRoute(this, path, options, handler, fnName)
    this.packageRoutes.push(route)
    this._routeAdded(route)
    return route
  }

  /** @internal called for each new route (the app records names and recompiles). */
  protected _routeAdded(route: Route): void {
    this.ownerApp?.registerRouteName(route)
  }

  beforeRequest(fn: BeforeHook, _context?: ClassMethodDecoratorContext): any {
    this.hookSet.before.push(fn)
    this._changed()
    return fn
  }

  afterRequest(fn: AfterHook, _context?: ClassMethodDecoratorContext): any {
    this.hookSet.after.push(fn)
    this._changed()
    return fn
  }

  failedRequest(fn: FailedHook, _context?: ClassMethodDecoratorContext): any {
    this.hookSet.failed.push(fn)
    this._changed()
    return fn
  }

  teardownRequest(fn: TeardownHook, _context?: ClassMethodDecoratorContext): any {
    this.hookSet.teardown.push(fn)
    this._changed()
    return fn
  }

  /** A custom page for one status code: `fn(was, error)`; undefined falls back to the default page. */
  errorHandler(code: number, fn?: ErrorHandler): any {
    if (fn === undefined) return (value: ErrorHandler) => void this.errorHandlersByStatus.set(code, value)
    this.errorHandlersByStatus.set(code, fn)
    return fn
  }

  defaultErrorHandler(fn: ErrorHandler, _context?: ClassMethodDecoratorContext): any {
    this.fallbackErrorHandler = fn
    return fn
  }

  /** Runs for routes with `loginRequired: true`: undefined to continue, a response to stop. */
  loginHandler(fn: GuardHandler, _context?: ClassMethodDecoratorContext): any {
    this.loginGuard = fn
    this._changed()
    return fn
  }

  /** Runs for routes with `permissionRequired: [...]`: `fn(was, perms)`, undefined to continue. */
  permissionHandler(fn: PermissionHandler, _context?: ClassMethodDecoratorContext): any {
    this.permissionGuard = fn
    this._changed()
    return fn
  }

  /**
   * Marks a handler (or, as a decorator, a method) to run `test(was)` first: undefined/true continue,
   * false → 403, another value is the response. Apply it below `@app.route`, or wrap the handler.
   */
  testpassRequired(test: GuardHandler): <F extends Function>(handler: F, _context?: unknown) => F {
    return (handler) => {
      ;(handler as any)[TESTPASS] = test
      this._changed()
      return handler
    }
  }

  /** `app.on(name, fn)`: handlers for `was.emit(name, ...args)` within this app. */
  on(name: string, fn: EventHandler<SaddleWas>): any {
    this.eventBus.on(name, fn)
    return fn
  }

  /** Handlers for `was.broadcast(name, ...args)` from any app of this process. */
  onBroadcast(name: string, fn: EventHandler<SaddleWas>): any {
    this.broadcastBus.on(name, fn)
    return fn
  }

  beforeMount(fn: LifecycleHook): any {
    return this._lifecycle.add('beforeMount', fn)
  }

  mounted(fn: LifecycleHook): any {
    return this._lifecycle.add('mounted', fn)
  }

  beforeReload(fn: LifecycleHook): any {
    return this._lifecycle.add('beforeReload', fn)
  }

  reloaded(fn: LifecycleHook): any {
    return this._lifecycle.add('reloaded', fn)
  }

  beforeUmount(fn: LifecycleHook): any {
    return this._lifecycle.add('beforeUmount', fn)
  }

  umounted(fn: LifecycleHook): any {
    return this._lifecycle.add('umounted', fn)
  }

  /** Routes of this package: name, rule, doc and parameter names (for listings and system.listMethods). */
  listRoutes(): { name: string; rule: string; doc: string | undefined; params: readonly string[] }[] {
    return this.packageRoutes.map((r) => ({
      name: r.fullName,
      rule: this.prefix + r.path,
      doc: r.options.doc,
      params: r.builder.names,
    }))
  }

  /** @internal */
  lifecycleHooksOf(name: LifecycleName): readonly LifecycleHook[] {
    return this._lifecycle.get(name)
  }

  /** @internal registration changed after the app compiled its routes: compile again on next use. */
  protected _changed(): void {
    this.ownerApp?.invalidateCompiled()
  }

  /** @internal a request-less `was` for broadcast events that come from no request (model changes). */
  eventWas(): SaddleWas | null {
    return this.ownerApp === null ? null : this.ownerApp.idleWas()
  }

  /** @internal attach to an app (addPackage). */
  attachTo(app: OwnerApp, prefix: string, ns: string): void {
    if (this.ownerApp !== null && this.ownerApp !== app) throw new Error('this package is already added to another app')
    this.ownerApp = app
    this.prefix = prefix
    this.ns = ns
    for (const r of this.packageRoutes) (r as { fullName: string }).fullName = ns === '' ? r.name : `${ns}.${r.name}`
  }
}
