package enterprise

// Or is c, or when c is nil the foundation's clock: a module's Config.Now
// set by a test wins over the platform's.
func (c Clock) Or(f Foundation) Clock {
	if c != nil {
		return c
	}
	return f.Now
}

// ServiceModule is the ModuleFactory of a module whose service the platform
// runs in the background (a sweep, the day's plan, pushes): build makes the
// service and the module from the foundation; started, when not nil, is
// handed the service once the module is built, so that the platform runs it.
// A module that fails to build is not started.
func ServiceModule[S any](build func(Foundation) (S, Module, error), started func(S)) ModuleFactory {
	return func(f Foundation) (Module, error) {
		svc, mod, err := build(f)
		if err != nil {
			return nil, err
		}
		if started != nil {
			started(svc)
		}
		return mod, nil
	}
}
