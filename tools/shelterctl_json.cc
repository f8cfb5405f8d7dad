// Boost.JSON's implementation, header-only (there is no compiled libboost_json on the build
// machines): this is the one translation unit that holds it, for shelterctl and its tests.
#include <boost/json/src.hpp>
