from services.common.migrations import run_env
from services.financing.models import Base

run_env(Base.metadata)
